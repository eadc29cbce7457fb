/**
 * A node's durable state: {@link io.hoft.transport.store.NodeStore}, one SQLite database in
 * WAL mode behind one lock, used through {@link io.hoft.transport.store.StoreTx} transactions
 * (all or nothing; after-commit actions run only once the commit is durable); {@link
 * io.hoft.transport.store.NodeSnapshot}, the read-only view the command line uses, whose
 * transactions refuse writes; {@link io.hoft.transport.store.BodyFiles}, the bodies kept beside
 * the database; and {@link io.hoft.transport.store.StoreException} for a database that fails.
 * A committed transaction survives {@code kill -9} and power loss; each table has one owner
 * outside this package.
 */
package io.hoft.transport.store;
