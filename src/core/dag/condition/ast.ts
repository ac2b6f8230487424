/**
 * The parsed form of a DAG node condition: a tree of plain JSON objects. Workflow-safe.
 */

/** Comparison operators of the condition language. */
export type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** A path such as `extract.rows[0]["name"]`: a root name (a dependency id or `outputs`) and accessors. */
export interface PathCondition {
  type: 'path';
  root: string;
  /** Property names (`.name`, `["name"]`) and array indexes (`[0]`). */
  keys: Array<string | number>;
}

/**
 * A parsed condition: a tree of plain JSON objects, so it can travel in workflow inputs and be
 * compared or stored. Build it with {@link parseCondition}; run it with {@link evaluateCondition}.
 */
export type Condition =
  | { type: 'literal'; value: string | number | boolean | null }
  | { type: 'array'; items: Condition[] }
  | PathCondition
  | { type: 'not'; arg: Condition }
  | { type: 'negate'; arg: Condition }
  | { type: 'and'; args: Condition[] }
  | { type: 'or'; args: Condition[] }
  | { type: 'compare'; op: ComparisonOperator; left: Condition; right: Condition }
  | { type: 'in'; left: Condition; right: Condition }
  | { type: 'len'; arg: Condition }
  | { type: 'exists'; arg: PathCondition };
