// What a person types into the search box, turned into an SQLite FTS5 query. The FTS5 syntax stays
// available (words, "phrases", prefix*, AND / OR / NOT, NEAR(…), title: / body: / tags: filters), and the
// names physicists search for that FTS5 would misread as syntax — ECAL0-3-3, HV-trip, run 1234.5, e+/e- —
// are quoted as phrases. What is still not valid FTS5 gets a sentence that says what to change.

/** Characters that are FTS5 syntax: a word containing one of them is passed on as the person wrote it. */
const SYNTAX = /["()*:^{}+]/;
/** Characters FTS5 takes as part of a bare word; any other character in a plain word needs quotes. */
const BAREWORD = /^[\p{L}\p{N}_\u0080-\uffff]+$/u;
const OPERATORS = new Set(['AND', 'OR', 'NOT']);

export class SearchSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SearchSyntaxError';
  }
}

/** The FTS5 expression for `text`, or null when there is nothing to search for (only spaces). */
export function toFtsQuery(text: string): string | null {
  // Control characters are separators here (they cannot be typed on purpose, and FTS5 rejects some).
  // eslint-disable-next-line no-control-regex -- control characters are what is being removed
  const cleaned = text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  if (!cleaned) return null;
  const out: string[] = [];
  // Quoted phrases stay whole; everything else is split on spaces.
  for (const token of cleaned.match(/"[^"]*"?|[^\s"]+/g) ?? []) {
    if (token.startsWith('"') || OPERATORS.has(token) || BAREWORD.test(token) || SYNTAX.test(token)) out.push(token);
    else out.push(`"${token}"`);
  }
  return out.join(' ');
}

/** A sentence for an FTS5 error message, naming what to change. */
export function explainFtsError(query: string, sqliteMessage: string): string {
  const tail = ' Search for words, "exact phrases" or prefix*, combine them with AND / OR / NOT, or limit them to title: body: tags:';
  const column = /no such column: (.*)/.exec(sqliteMessage);
  if (column) {
    return `"${column[1]!.slice(0, 40)}:" is not something entries have; use title:, body: or tags: (or put the word in "quotes").`;
  }
  if (/unterminated string/.test(sqliteMessage) || (query.match(/"/g)?.length ?? 0) % 2 === 1) {
    return `The search has a " without its closing ".${tail}`;
  }
  if (/unknown special query/.test(sqliteMessage)) return `A * goes after the beginning of a word (trig* finds trigger, trips).${tail}`;
  const near = /syntax error near "(.*)"/.exec(sqliteMessage);
  if (near) {
    const where = near[1] === '' ? 'at its end' : `near "${near[1]!.slice(0, 40)}"`;
    return `The search is not complete ${where} (an unclosed bracket, or AND / OR / NOT / NEAR with nothing after it?).${tail}`;
  }
  return `The search could not be understood (${sqliteMessage.replace(/^fts5: /, '').slice(0, 80)}).${tail}`;
}
