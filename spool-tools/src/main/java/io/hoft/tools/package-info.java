/** The {@code hoft} command line: spool inspection, keys, and the launcher of nodes. */
package io.hoft.tools;
