/*
 * provider.c - the sqlite provider's descriptor.
 *
 * `provider: sqlite` as a source means SQLiteExtractor, as a target
 * SQLiteLoader; SQLiteConnector checks a connection on its own.
 */
#include "engine/operator.h"
#include "providers/sqlite/connector.h"
#include "providers/sqlite/extractor.h"
#include "providers/sqlite/loader.h"

static const struct dxt_operator *const operators[] = {
	&SQLiteConnector,
	&SQLiteExtractor,
	&SQLiteLoader,
	NULL,
};

DXT_EXPORT const struct dxt_provider dxt_provider = {
	.abi_version = DXT_ABI_VERSION,
	.name = "sqlite",
	.category = DXT_CAT_RELATIONAL,
	.summary = "SQLite database files (relational)",
	.default_extractor = "SQLiteExtractor",
	.default_loader = "SQLiteLoader",
	.operators = operators,
};
