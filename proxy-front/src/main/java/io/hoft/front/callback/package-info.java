/**
 * Callbacks: signed (Standard Webhooks), durable, retried delivery of results, failures and
 * status events to the URLs callers name, and the SSRF rules those URLs must pass.
 *
 * <p>Public: {@link io.hoft.front.callback.CallbackDispatcher} (the front's {@link
 * io.hoft.front.CallbackScheduler}), {@link io.hoft.front.callback.CallbackUrlPolicy} (its
 * {@link io.hoft.front.CallbackUrlGuard}), {@link io.hoft.front.callback.CallbackSettings},
 * {@link io.hoft.front.callback.StandardWebhooks} and {@link
 * io.hoft.front.callback.CallbackHistory}. Wiring in the front:
 *
 * <pre>{@code
 * CallbackSettings settings = CallbackSettings.of(
 *         Files.readString(config.secretFile()).trim(), config.timeout().toMillis(),
 *         config.allowPrivateNetworks(), config.allowHosts(), 16);
 * CallbackDispatcher callbacks = new CallbackDispatcher(store, bodies, settings, Clock.systemUTC());
 * CallbackUrlGuard guard = callbacks.urlGuard();   // at submission: 400 if it throws
 * callbacks.start();                                // after the node's recovery, before serving
 * ...
 * callbacks.close();                                // on SIGTERM, before closing the store
 * }</pre>
 */
package io.hoft.front.callback;
