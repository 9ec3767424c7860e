import type { Kysely } from 'kysely'

/**
 * Device assertions seen by the token endpoint, kept until they expire: an
 * assertion (its jti) is traded for an access token once, so one captured on
 * the wire cannot be replayed, even against another api process.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('device_assertion_jtis')
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('jti', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('device_assertion_jtis_pk', ['device_id', 'jti'])
    .execute()
  await db.schema.createIndex('device_assertion_jtis_expires').on('device_assertion_jtis').column('expires_at').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('device_assertion_jtis').ifExists().execute()
}
