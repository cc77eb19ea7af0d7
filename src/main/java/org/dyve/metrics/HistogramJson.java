package org.dyve.metrics;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/** A latency histogram in JSON and CBOR: HdrHistogram's own compressed encoding, as binary. */
final class HistogramJson {
    private HistogramJson() {
    }

    /** Writes a histogram. */
    static final class Out extends StdSerializer<Histogram> {
        Out() {
            super(Histogram.class);
        }

        @Override
        public void serialize(Histogram h, JsonGenerator g, SerializerProvider p) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
            int n = h.encodeIntoCompressedByteBuffer(b);
            g.writeBinary(b.array(), 0, n);
        }
    }

    /** Reads a histogram. */
    static final class In extends StdDeserializer<Histogram> {
        In() {
            super(Histogram.class);
        }

        @Override
        public Histogram deserialize(JsonParser p, DeserializationContext c) throws IOException {
            try {
                return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(p.getBinaryValue()), 0);
            } catch (DataFormatException e) {
                throw new IOException("latency histogram: " + e.getMessage(), e);
            }
        }
    }
}
