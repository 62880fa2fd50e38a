import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

/**
 * What every scenario program shares: argument parsing and one JSON line per scenario on
 * stdout, which the Python tests parse (the client's own log goes to stderr).
 *
 * <p>Arguments: {@code BOOTSTRAP SCENARIO...}.
 */
final class Out {
    final Properties props = new Properties();
    final List<String> scenarios;

    Out(String[] args) {
        props.put("bootstrap.servers", args[0]);
        scenarios = List.of(args).subList(1, args.length);
    }

    /** A copy of the shared settings plus {@code kv} pairs (key, value, key, value...). */
    Properties conf(Object... kv) {
        Properties p = new Properties();
        p.putAll(props);
        for (int i = 0; i < kv.length; i += 2) {
            p.put(kv[i], kv[i + 1]);
        }
        return p;
    }

    interface Scenario {
        void run(Map<String, Object> result) throws Exception;
    }

    /**
     * Run one scenario and print its line: {"scenario": name, "ok": bool, ...fields}; an
     * exception makes ok false with its class and message (the cause of an
     * ExecutionException, which is what the client raised).
     */
    static void run(String name, Scenario scenario) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("scenario", name);
        long start = System.nanoTime();
        try {
            scenario.run(result);
            result.put("ok", true);
        } catch (Throwable e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null
                    ? e.getCause() : e;
            result.put("ok", false);
            result.put("error", cause.getClass().getName() + ": " + cause.getMessage());
            cause.printStackTrace();
        }
        result.put("ms", (System.nanoTime() - start) / 1_000_000);
        System.out.println(json(result));
        System.out.flush();
    }

    static String hex(byte[] b) {
        return b == null ? null : HexFormat.of().formatHex(b);
    }

    static String json(Object o) {
        StringBuilder sb = new StringBuilder();
        write(sb, o);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object o) {
        if (o == null) {
            sb.append("null");
        } else if (o instanceof Number || o instanceof Boolean) {
            sb.append(o);
        } else if (o instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) sb.append(", ");
                first = false;
                write(sb, String.valueOf(e.getKey()));
                sb.append(": ");
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (o instanceof Collection<?> c) {
            sb.append('[');
            boolean first = true;
            for (Object x : c) {
                if (!first) sb.append(", ");
                first = false;
                write(sb, x);
            }
            sb.append(']');
        } else {
            sb.append('"');
            for (char ch : o.toString().toCharArray()) {
                switch (ch) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    default -> {
                        if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
                        else sb.append(ch);
                    }
                }
            }
            sb.append('"');
        }
    }
}
