/**
 * Shared by the `task dag` commands: the DAG argument (a file or a name in the DAGs folder).
 */
import { Args } from '@oclif/core';

/** The `FILE|NAME` argument. */
export const dagArg = Args.string({
  description:
    'A DAG file (.yml, .yaml, .json) or the name of one in the DAGs folder ($CASCADENCE_DAGS_PATH, default ./dags).',
  required: true,
});
