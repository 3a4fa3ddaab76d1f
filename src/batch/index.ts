/**
 * Batch verification in veristat's terms: many files (folders, globs), one row per program with
 * veristat's statistics plus bpflab's error kind and the kernel's side, table/CSV/JSON output,
 * -e/-s/-f specs, and comparison with a baseline CSV.
 */
export { expandInputs, PROGRAM_EXTENSIONS } from './inputs.js';
export { verifyFileRows, programRow, loadErrorRow, kernelColumns, type BatchRow, type KernelColumns, type RowOptions, type VeristatVerdict } from './row.js';
export { verifyFiles, type BatchOptions, type BatchResult } from './run.js';
export {
  COLUMNS, DEFAULT_SORT, column, defaultColumns, parseEmit, parseSort, parseFilter, filterRows, sortRows, globMatches,
  type ColumnDef, type SortKey, type Filter,
} from './columns.js';
export { rowsTable, rowsCsv, rowsJson, parseCsv, csvField, formatTable } from './format.js';
export {
  parseBaseline, rowsFromCsv, joinRows, compareWithBaseline, selectJoined, comparisonTable, comparisonCsv, comparisonJson,
  type Baseline, type BaselineRow, type JoinedRow, type Comparison,
} from './compare.js';
