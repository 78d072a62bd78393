export {
  createJobEntitySchema,
  createMigrationEntitySchema,
  type DurableJobsMigrationRecord,
  type EntitySchemaOptions,
  type JobRecord,
} from './job.entity-schema.js';
