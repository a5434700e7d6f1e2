package dev.keyward.interop;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The last HTTP exchanges on the wire, as Apache HttpClient (under RESTEasy and AuthzClient)
 * logs them to java.util.logging: request line, headers and body sent, status, headers and body
 * received. Nothing is printed unless a step fails; then {@link #dump()} says exactly what the
 * library sent and what Keyward answered.
 */
public final class HttpTrace {
    private static final int KEEP = 120;
    private static final Deque<String> LINES = new ArrayDeque<>();
    // java.util.logging holds loggers weakly: keep them, or their level is forgotten.
    private static final List<Logger> LOGGERS = new ArrayList<>();

    private HttpTrace() {}

    public static void install() {
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord r) {
                String m = r.getMessage();
                if (m == null) return;
                // One wire record per read/write chunk: `http-outgoing-0 >> "POST /... HTTP/1.1[\r][\n]"`.
                m = m.replace("[\\r][\\n]", "").replace("[\\n]", "");
                if (m.length() > 4000) m = m.substring(0, 4000) + "…";
                synchronized (LINES) {
                    LINES.addLast(m);
                    while (LINES.size() > KEEP) LINES.removeFirst();
                }
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        h.setLevel(Level.ALL);
        for (String name : new String[] {"org.apache.http.wire"}) {
            Logger l = Logger.getLogger(name);
            l.setLevel(Level.ALL);
            l.setUseParentHandlers(false);
            l.addHandler(h);
            LOGGERS.add(l);
        }
    }

    /** The recorded lines since the last {@link #clear()}, oldest first. */
    public static String dump() {
        synchronized (LINES) {
            return String.join("\n", LINES);
        }
    }

    public static void clear() {
        synchronized (LINES) {
            LINES.clear();
        }
    }
}
