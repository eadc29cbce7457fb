/**
 * A node's configuration: {@link io.hoft.transport.config.ConfigLoader} reads the YAML file
 * with environment overrides into a {@link io.hoft.transport.config.NodeConfig} (with {@link
 * io.hoft.transport.config.ChannelSettings}, {@link io.hoft.transport.config.QuarantineSettings},
 * {@link io.hoft.transport.config.DataSize} and {@link io.hoft.transport.config.Durations} for
 * its values), and {@link io.hoft.transport.config.NodeRuntime} builds a node from it (keys
 * checked, database open, links, the transport). Guarantees: an unknown key or a bad value is
 * a {@link io.hoft.transport.config.ConfigException} naming the key, and nothing starts from a
 * config that did not load.
 */
package io.hoft.transport.config;
