/** Where callbacks that print write: standard output, standard error, and whether it is a terminal. */
export interface Printer {
  out(text: string): void;
  err(text: string): void;
  /** Progress bars only on a terminal. */
  readonly tty: boolean;
}
