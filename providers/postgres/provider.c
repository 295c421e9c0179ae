/*
 * provider.c - the postgres provider's descriptor.
 *
 * `provider: postgres` as a source means PostgresExtractor, as a target
 * PostgresLoader; PostgresConnector checks a connection on its own.
 */
#include "engine/operator.h"
#include "providers/postgres/pg.h"

static const struct dxt_operator *const operators[] = {
	&PostgresConnector,
	&PostgresExtractor,
	&PostgresLoader,
	NULL,
};

DXT_EXPORT const struct dxt_provider dxt_provider = {
	.abi_version = DXT_ABI_VERSION,
	.name = "postgres",
	.category = DXT_CAT_RELATIONAL,
	.summary = "PostgreSQL databases through libpq (relational)",
	.default_extractor = "PostgresExtractor",
	.default_loader = "PostgresLoader",
	.operators = operators,
};
