// Reference runner for the Sluice.Vtl differential tests: renders every case of a corpus with
// Apache Velocity 1.7 (Debian's velocity.jar) in ONE JVM, so the start-up cost is paid once.
//
//   java -cp velocity.jar:commons-collections3.jar:commons-lang.jar VelocityRunner.java corpus <cases-dir> <out.json>
//   java -cp ... VelocityRunner.java bench <template.vm> <body.json> <seconds>
//     renders the template in a JIT-warmed loop with $input.path('$') returning the parsed body
//
// Case files (*.vtlcases) hold cases in this form; the template ends at the next "=== " line and
// its final newline is dropped (leave an empty line to keep one):
//   === name
//   --- input
//   {"json": "object"}
//   --- template
//   ...
// JSON objects become LinkedHashMap, arrays ArrayList, integers Integer (Long when out of range),
// other numbers Double: what Velocity sees from API Gateway-style inputs.
import java.io.*;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import org.apache.velocity.Template;
import org.apache.velocity.VelocityContext;
import org.apache.velocity.app.VelocityEngine;
import org.apache.velocity.runtime.RuntimeConstants;
import org.apache.velocity.runtime.RuntimeInstance;
import org.apache.velocity.runtime.parser.node.SimpleNode;

public class VelocityRunner {
    public static void main(String[] args) throws Exception {
        if (args.length >= 3 && args[0].equals("corpus")) { corpus(Paths.get(args[1]), Paths.get(args[2])); return; }
        if (args.length >= 4 && args[0].equals("bench")) { bench(args[1], args[2], Double.parseDouble(args[3])); return; }
        System.err.println("usage: corpus <dir> <out.json> | bench <template> <input.json> <seconds>");
        System.exit(2);
    }

    static VelocityEngine engine() throws Exception {
        VelocityEngine ve = new VelocityEngine();
        ve.setProperty(RuntimeConstants.RUNTIME_LOG_LOGSYSTEM_CLASS, "org.apache.velocity.runtime.log.NullLogChute");
        // Macros defined by one case must not leak into the next.
        ve.setProperty("velocimacro.permissions.allow.inline.local.scope", "true");
        ve.init();
        return ve;
    }

    static void corpus(Path dir, Path out) throws Exception {
        VelocityEngine ve = engine();
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.vtlcases")) { for (Path p : ds) files.add(p); }
        Collections.sort(files);
        StringBuilder json = new StringBuilder("{\n");
        boolean first = true;
        for (Path f : files) {
            for (String[] c : readCases(f)) {
                String name = c[0];
                String result;
                try {
                    VelocityContext ctx = new VelocityContext(toMap(c[1]));
                    StringWriter w = new StringWriter();
                    ve.evaluate(ctx, w, name, c[2]);
                    result = "{\"output\":" + quote(w.toString()) + "}";
                } catch (Throwable e) {
                    result = "{\"error\":" + quote(e.getClass().getSimpleName() + ": " + e.getMessage()) + "}";
                }
                json.append(first ? "" : ",\n").append(quote(name)).append(':').append(result);
                first = false;
            }
        }
        json.append("\n}\n");
        Files.write(out, json.toString().getBytes(StandardCharsets.UTF_8));
    }

    static void bench(String templatePath, String inputPath, double seconds) throws Exception {
        String source = new String(Files.readAllBytes(Paths.get(templatePath)), StandardCharsets.UTF_8);
        String input = new String(Files.readAllBytes(Paths.get(inputPath)), StandardCharsets.UTF_8);
        RuntimeInstance ri = new RuntimeInstance();
        ri.setProperty(RuntimeConstants.RUNTIME_LOG_LOGSYSTEM_CLASS, "org.apache.velocity.runtime.log.NullLogChute");
        ri.init();
        SimpleNode node = ri.parse(new StringReader(source), "bench");
        Template t = new Template();
        t.setRuntimeServices(ri);
        t.setData(node);
        t.initDocument();
        // API Gateway's $input, reduced to what the pet-store template calls: path('$') is the parsed body.
        Map<String, Object> vars = new HashMap<>();
        vars.put("input", new Input(new Json(input).value()));
        // Warm the JIT, then measure.
        long end = System.nanoTime() + 3_000_000_000L;
        int chars = 0;
        while (System.nanoTime() < end) chars += render(t, vars);
        long count = 0;
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpuStart = threads.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        end = start + (long) (seconds * 1e9);
        long now;
        do {
            for (int i = 0; i < 1000; i++) chars += render(t, vars);
            count += 1000;
            now = System.nanoTime();
        } while (now < end);
        double rate = count / ((now - start) / 1e9);
        // Per CPU-second of this thread (GC threads excluded), less skewed by other load than the wall clock.
        double cpuRate = count / ((threads.getCurrentThreadCpuTime() - cpuStart) / 1e9);
        System.out.printf(Locale.ROOT, "velocity-1.7 renders/s %.0f per-cpu-second %.0f (%d renders, checksum %d)%n", rate, cpuRate, count, chars);
    }

    public static final class Input {
        private final Object root;
        Input(Object root) { this.root = root; }
        public Object path(String p) { return "$".equals(p) ? root : null; }
    }

    static int render(Template t, Map<String, Object> vars) {
        StringWriter w = new StringWriter(2048);
        t.merge(new VelocityContext(new HashMap<>(vars)), w);
        return w.getBuffer().length();
    }

    static List<String[]> readCases(Path f) throws IOException {
        String content = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
        if (content.endsWith("\n")) content = content.substring(0, content.length() - 1);
        String[] lines = content.split("\n", -1);
        List<String[]> cases = new ArrayList<>();
        String name = null, section = null;
        StringBuilder input = new StringBuilder(), template = new StringBuilder();
        for (String line : lines) {
            if (line.startsWith("=== ")) {
                if (name != null) cases.add(finish(name, input, template));
                name = line.substring(4).trim(); section = null;
                input.setLength(0); template.setLength(0);
            } else if (name != null && section == null && line.equals("--- input")) {
                section = "input";
            } else if (name != null && !"template".equals(section) && line.equals("--- template")) {
                section = "template";
            } else if ("input".equals(section)) {
                input.append(line).append('\n');
            } else if ("template".equals(section)) {
                template.append(line).append('\n');
            }
        }
        if (name != null) cases.add(finish(name, input, template));
        return cases;
    }

    static String[] finish(String name, StringBuilder input, StringBuilder template) {
        String t = template.toString();
        if (t.endsWith("\n")) t = t.substring(0, t.length() - 1);
        String i = input.toString().trim();
        return new String[] { name, i.isEmpty() ? "{}" : i, t };
    }

    // ---- a small JSON reader and writer (the JDK has none) ----
    @SuppressWarnings("unchecked")
    static Map<String, Object> toMap(String json) {
        Object v = new Json(json).value();
        if (!(v instanceof Map)) throw new IllegalArgumentException("input must be a JSON object");
        return (Map<String, Object>) v;
    }

    static final class Json {
        final String s; int i;
        Json(String s) { this.s = s; }
        void ws() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }
        Object value() {
            ws();
            char c = s.charAt(i);
            if (c == '{') {
                i++; Map<String, Object> m = new LinkedHashMap<>(); ws();
                if (s.charAt(i) == '}') { i++; return m; }
                while (true) {
                    ws(); String k = string(); ws(); expect(':');
                    m.put(k, value()); ws();
                    if (s.charAt(i) == ',') { i++; continue; }
                    expect('}'); return m;
                }
            }
            if (c == '[') {
                i++; List<Object> l = new ArrayList<>(); ws();
                if (s.charAt(i) == ']') { i++; return l; }
                while (true) {
                    l.add(value()); ws();
                    if (s.charAt(i) == ',') { i++; continue; }
                    expect(']'); return l;
                }
            }
            if (c == '"') return string();
            if (s.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
            if (s.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
            if (s.startsWith("null", i)) { i += 4; return null; }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
            String num = s.substring(start, i);
            if (num.contains(".") || num.contains("e") || num.contains("E")) return Double.valueOf(num);
            BigInteger b = new BigInteger(num);
            if (b.bitLength() < 32) return b.intValue();
            if (b.bitLength() < 64) return b.longValue();
            return b;
        }
        void expect(char c) { if (s.charAt(i) != c) throw new IllegalArgumentException("expected " + c + " at " + i); i++; }
        String string() {
            expect('"'); StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c != '\\') { b.append(c); continue; }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n': b.append('\n'); break;
                    case 't': b.append('\t'); break;
                    case 'r': b.append('\r'); break;
                    case 'b': b.append('\b'); break;
                    case 'f': b.append('\f'); break;
                    case 'u': b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; break;
                    default: b.append(e);
                }
            }
        }
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c)); else b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
