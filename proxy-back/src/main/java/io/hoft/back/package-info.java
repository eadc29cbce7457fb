/** The back proxy: verifies and dedupes incoming calls and replays each once to its callee. */
package io.hoft.back;
