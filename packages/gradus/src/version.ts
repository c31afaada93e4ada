/** The version of Gradus (the CLI's --version, the producer version of exported files). */
export const VERSION = '0.1.0';
