/** Node identities and keys as JWK sets: a node's own keys, the trust list of its peers, key files. */
package io.hoft.transport.keys;
