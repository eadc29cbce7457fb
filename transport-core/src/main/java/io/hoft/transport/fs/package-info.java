/**
 * The filesystem seam durability rests on ({@link io.hoft.transport.fs.Disk}: create, force,
 * publish by atomic rename, so tests can fail it at each commit point); reading from folders
 * others write to without being blocked or led through links ({@link
 * io.hoft.transport.fs.RegularFile}, refusing with {@link
 * io.hoft.transport.fs.NotRegularFileException}); owner-only state ({@link
 * io.hoft.transport.fs.OwnerOnly}); and the machine's boot id ({@link io.hoft.transport.fs.BootId}).
 */
package io.hoft.transport.fs;
