/**
 * The file share's wire format (SPEC section 20): {@link io.hoft.share.SharePath}
 * (the one place paths are checked), {@link io.hoft.share.CatalogUpdate} and the
 * reserved upstream and headers of {@link io.hoft.share.ShareProtocol}.
 */
package io.hoft.share;
