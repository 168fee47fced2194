import type { EntityRows } from "./entity-rows";
import type { SqlDb } from "./sql";
import type { WriteGate } from "./write-gate";
import type { Statements } from "./write-statements";

/**
 * What the row writers beside WriteStore (plan-rows.ts, scheduler-rows.ts) use of it: the
 * connection, its statements, the write gate (waiting for the lock), the entity rows, and a
 * flush that writes an update after every buffered point (so readers see a run ended only
 * with all its points).
 */
export interface WriterParts {
  readonly db: SqlDb;
  readonly st: Statements;
  readonly gate: WriteGate;
  readonly rows: EntityRows;
  flush(extra?: () => void): void;
}
