/**
 * The filesystem seam durability rests on, so tests can fail it at each commit point; reading
 * from folders others write to without being blocked or led through links ({@link
 * io.hoft.transport.fs.RegularFile}); and owner-only state ({@link io.hoft.transport.fs.OwnerOnly}).
 */
package io.hoft.transport.fs;
