/**
 * Spans from chevrotain positions. Chevrotain's `endOffset` is INCLUSIVE (the offset of the last
 * character); Gradus spans are half-open `[start, end)`. `halfOpen` is the one place that converts.
 *
 * Tokens invented by error recovery, the EOF token and CST nodes that recovered before consuming
 * anything have `NaN` offsets: those have no span (`undefined`), and callers skip them.
 */
import type { Span } from '@gradus/autodiff';
import type { CstNode, IToken } from 'chevrotain';

function halfOpen(startOffset: number, endOffsetInclusive: number | undefined): Span | undefined {
  if (
    !Number.isFinite(startOffset) ||
    endOffsetInclusive === undefined ||
    !Number.isFinite(endOffsetInclusive)
  ) {
    return undefined;
  }
  return { start: startOffset, end: Math.max(startOffset, endOffsetInclusive + 1) };
}

/** The span of a real token, or `undefined` for EOF and tokens inserted by recovery. */
export function tokenSpan(token: IToken | undefined): Span | undefined {
  if (token === undefined || token.isInsertedInRecovery) return undefined;
  return halfOpen(token.startOffset, token.endOffset);
}

/** The span of a CST node (built from the real tokens it consumed), if it consumed any. */
export function nodeSpan(node: CstNode | undefined): Span | undefined {
  const location = node?.location;
  return location ? halfOpen(location.startOffset, location.endOffset) : undefined;
}

/** The smallest span covering all the given ones, skipping missing ones. */
export function cover(...spans: readonly (Span | undefined)[]): Span | undefined {
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const s of spans) {
    if (s === undefined) continue;
    start = Math.min(start, s.start);
    end = Math.max(end, s.end);
  }
  return Number.isFinite(start) ? { start, end } : undefined;
}
