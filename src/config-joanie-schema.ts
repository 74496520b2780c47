/**
 * The zod piece for `joanie` (config-joanie.ts holds its type, defaults and cross-key checks),
 * made of config-schema.ts's own host, port and upstream schemas so its errors read the same.
 */
import * as z from 'zod';

export const joanieSchema = <H extends z.ZodType, P extends z.ZodType, U extends z.ZodType>(host: H, port: P, upstream: U) =>
  z.object({ host, port, upstream }).strict().optional();
