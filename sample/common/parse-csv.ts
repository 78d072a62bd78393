/**
 * Parses CSV text as RFC 4180 describes it: comma-separated fields, double-quoted fields
 * that may contain commas, line breaks and doubled quotes, and LF or CRLF line endings.
 * Returns one array of fields per row and skips empty lines.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;

  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char !== '"') {
        field += char;
      } else if (text[i + 1] === '"') {
        field += '"';
        i++;
      } else {
        quoted = false;
      }
      continue;
    }

    if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
      field = '';
    } else {
      field += char;
    }
  }

  if (quoted) throw new Error('Invalid CSV: a quoted field is not closed before the end of the text');
  row.push(field);
  if (row.length > 1 || row[0] !== '') rows.push(row);
  return rows;
}
