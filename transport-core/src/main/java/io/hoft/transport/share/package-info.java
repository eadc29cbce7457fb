/**
 * The file share's wire format (SPEC section 20): {@link io.hoft.transport.share.SharePath}
 * (the one place paths are checked), {@link io.hoft.transport.share.CatalogUpdate} and the
 * reserved upstream and headers of {@link io.hoft.transport.share.ShareProtocol}.
 */
package io.hoft.transport.share;
