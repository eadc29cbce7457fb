/** The front proxy: takes HTTP calls, stores them durably, sends them as spool files, answers callers. */
package io.hoft.front;
