/**
 * Streams a Webex billing report CSV through csv-parse: headers matched by name, case-insensitively
 * (never by position); UTF-8 BOM, CRLF, quoted commas and empty cells handled by the parser. A row
 * with the wrong number of cells is reported with its row number and skipped, never dropped silently.
 */
import type { Readable } from "node:stream";
import { parse } from "csv-parse";

export interface CsvProblem {
  /** 1-based data row (the header is row 0). */
  row: number;
  reason: string;
}

export interface CsvSummary {
  columns: string[];
  rows: number;
  problems: CsvProblem[];
}

/** Calls onRow for each data row (canonical upper-case column names); resolves when the stream ends. */
export async function streamCsvRows(
  source: Readable,
  onRow: (row: Record<string, string>, rowNumber: number) => void,
): Promise<CsvSummary> {
  let columns: string[] = [];
  const problems: CsvProblem[] = [];
  let rowNumber = 0;
  const parser = source.pipe(
    parse({
      bom: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: false,
    }),
  );
  source.on("error", (err) => parser.destroy(err));
  for await (const record of parser as AsyncIterable<string[]>) {
    if (columns.length === 0) {
      columns = record.map((h) => h.trim().toUpperCase());
      continue;
    }
    rowNumber++;
    if (record.length !== columns.length) {
      problems.push({ row: rowNumber, reason: `has ${record.length} cells, the header has ${columns.length}` });
      continue;
    }
    const row: Record<string, string> = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]] = record[i];
    onRow(row, rowNumber);
  }
  return { columns, rows: rowNumber, problems };
}
