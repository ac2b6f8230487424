/**
 * The condition language of DAG nodes: a small, safe expression over the outputs of a node's
 * dependencies (`extract.rows > 0 && "eu" in extract.regions`), parsed once when the DAG is
 * validated into a plain-JSON AST and evaluated when the node becomes ready.
 *
 * Workflow-safe: no Node built-ins, no I/O, no `eval`, and no regular expressions (a hand-written
 * scanner cannot backtrack, whatever a condition contains).
 *
 * Grammar, lowest precedence first:
 *
 *     or         = and { "||" and }
 *     and        = not { "&&" not }
 *     not        = "!" not | comparison
 *     comparison = member [ ("==" | "!=" | "<" | "<=" | ">" | ">=") member ]     (no chaining)
 *     member     = unary [ "in" unary ]                                           (no chaining)
 *     unary      = "-" unary | primary
 *     primary    = number | string | "true" | "false" | "null" | "(" or ")"
 *                | "[" [ or { "," or } ] "]" | "len(" or ")" | "exists(" path ")" | path
 *     path       = name { "." name | "[" (number | string) "]" }
 *     name       = [A-Za-z_][A-Za-z0-9_-]*
 *
 * There is no arithmetic except unary minus. Names may contain hyphens (node ids do), so `a-b` is
 * one name; `a - b` is an error. `len` and `exists` are functions only when followed by `(`.
 * `!` binds looser than comparisons, so `!a == b` means `!(a == b)`, and `a == !b` needs
 * parentheses: `a == (!b)`.
 */
export type { ComparisonOperator, Condition, PathCondition } from './ast';
export { parseCondition } from './parser';
export { conditionRoots, evaluateCondition } from './evaluate';
