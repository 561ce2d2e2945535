import pg from 'pg';

/**
 * A fingerprint of everything the database holds for one account: its rows in every account-owned
 * table, the rows hanging off its syncs, streams and consumers, and the events of its event
 * streams. Operational state that changes on its own (sync telemetry, NATS publisher runtime)
 * is left out. Two equal fingerprints mean nothing of the account changed.
 */
export async function accountFingerprint(databaseUrl: string, accountId: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.columns
       WHERE table_schema = 'public' AND column_name = 'account_id' ORDER BY table_name`,
    );
    const ids = async (sql: string) => (await client.query<{ id: string }>(sql, [accountId])).rows.map((r) => r.id);
    const syncIds = await ids('SELECT id::text AS id FROM syncs WHERE account_id = $1');
    const streamIds = await ids('SELECT id::text AS id FROM streams WHERE account_id = $1');
    const consumerIds = await ids('SELECT id::text AS id FROM http_consumers WHERE account_id = $1');
    const natsIds = await ids('SELECT id::text AS id FROM nats_consumers WHERE account_id = $1');
    const allIds = [accountId, ...syncIds, ...streamIds, ...consumerIds, ...natsIds, ...(await otherIds(client, accountId))];

    const hash = async (sql: string, params: unknown[]) =>
      (await client.query<{ h: string | null; n: string }>(`SELECT md5(string_agg(j, '|' ORDER BY j)) AS h, count(*) AS n FROM (${sql}) s(j)`, params)).rows[0]!;
    const fingerprint: Record<string, string> = {};
    const put = async (name: string, sql: string, params: unknown[]) => {
      const { h, n } = await hash(sql, params);
      fingerprint[name] = `${n}:${h ?? '-'}`;
    };
    await put('accounts', 'SELECT row_to_json(t)::text FROM accounts t WHERE id = $1', [accountId]);
    for (const { table_name: table } of tables.rows) {
      await put(table, `SELECT row_to_json(t)::text FROM ${table} t WHERE account_id = $1`, [accountId]);
    }
    await put('sync_collections', 'SELECT row_to_json(t)::text FROM sync_collections t WHERE sync_id::text = ANY($1)', [syncIds]);
    await put('records', 'SELECT row_to_json(t)::text FROM records t WHERE sync_id::text = ANY($1)', [syncIds]);
    await put('stream_heads', 'SELECT row_to_json(t)::text FROM stream_heads t WHERE stream_id::text = ANY($1)', [streamIds]);
    await put('consumer_cursors', 'SELECT row_to_json(t)::text FROM consumer_cursors t WHERE consumer_id::text = ANY($1)', [consumerIds]);
    await put('consumer_leases', 'SELECT row_to_json(t)::text FROM consumer_leases t WHERE consumer_id::text = ANY($1)', [consumerIds]);
    await put('consumer_pending_marks', 'SELECT row_to_json(t)::text FROM consumer_pending_marks t WHERE consumer_id::text = ANY($1)', [consumerIds]);
    await put('consumer_lease_batches', 'SELECT row_to_json(t)::text FROM consumer_lease_batches t WHERE consumer_id::text = ANY($1)', [consumerIds]);
    // Events: every event stream named after one of the account's ids (`<type>-<id>…`).
    await put(
      'events',
      `SELECT stream_id || ':' || stream_position || ':' || message_type FROM emt_messages
       WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) AS i(id) WHERE emt_messages.stream_id LIKE '%' || i.id || '%')`,
      [allIds],
    );
    return fingerprint;
  } finally {
    await client.end();
  }
}

/** Ids of the account's credentials, OAuth apps, tokens and mutation runs (their event streams carry them). */
async function otherIds(client: pg.Client, accountId: string): Promise<string[]> {
  const ids: string[] = [];
  for (const table of ['credentials', 'oauth_apps', 'api_tokens', 'mutation_runs']) {
    const exists = await client.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name = $1`, [table]);
    if (exists.rowCount === 0) continue;
    const { rows } = await client.query<{ id: string }>(`SELECT id::text AS id FROM ${table} WHERE account_id = $1`, [accountId]);
    ids.push(...rows.map((r) => r.id));
  }
  return ids;
}
