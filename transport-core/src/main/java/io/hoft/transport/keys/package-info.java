/**
 * Node identities and keys as JWK sets. Public API: {@link io.hoft.transport.keys.NodeId}, a
 * node's own keys ({@link io.hoft.transport.keys.NodeKeys}), the trust list of its peers ({@link
 * io.hoft.transport.keys.TrustList}, {@link io.hoft.transport.keys.PeerKeys}, {@link
 * io.hoft.transport.keys.SharedSecret}), the {@link io.hoft.transport.keys.Keyring} the codec
 * signs and verifies with, and {@link io.hoft.transport.keys.KeyFiles}, which reads and writes
 * them (private key files owner-only). Guarantees: a key signs, verifies or decrypts only
 * within its validity window; missing, malformed, expired or wrong-kind key material is a
 * {@link io.hoft.transport.keys.KeyException}.
 */
package io.hoft.transport.keys;
