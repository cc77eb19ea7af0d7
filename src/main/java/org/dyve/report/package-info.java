/** Result formats shared by commands and sinks: JSON files and JSON lines. */
package org.dyve.report;
