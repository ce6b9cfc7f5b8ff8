package org.crimeamonitor.engines;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Starts search nodes in this JVM on 127.0.0.1, prints one line {@code READY <url> [<url>...]} and runs until
 * SIGTERM, when a shutdown hook closes the nodes and deletes their directory.
 *
 * <p>Arguments: {@code [nodes] [-Ekey=value ...]}. Free ports are picked unless {@code http.port} /
 * {@code transport.port} are given; several nodes in one JVM form a cluster. {@code -E} settings override the
 * defaults, so one node per JVM can join a cluster of separate processes (the fault tests kill such a process).
 * When the process that started the launcher dies, the launcher stops too.
 */
public final class Launcher {

    /** Builds and starts one node from its settings. */
    public interface NodeStarter {
        Closeable start(Map<String, String> settings) throws Exception;
    }

    private Launcher() {}

    public static void run(String engine, String[] args, NodeStarter starter) throws Exception {
        int nodes = 1;
        Map<String, String> overrides = new LinkedHashMap<>();
        for (String arg : args) {
            if (arg.startsWith("-E") && arg.contains("=")) {
                overrides.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
            } else {
                nodes = Integer.parseInt(arg);
            }
        }
        Path base = Files.createTempDirectory("crimea-monitor-" + engine + "-");
        List<Closeable> started = new ArrayList<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(started, base)));

        List<Integer> transport = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            transport.add(freePort());
            names.add(engine + "-" + (i + 1));
        }
        List<String> urls = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("cluster.name", "crimea-monitor-" + engine);
            settings.put("node.name", names.get(i));
            settings.put("path.home", base.resolve(names.get(i)).toString());
            settings.put("network.host", "127.0.0.1");
            settings.put("http.port", String.valueOf(freePort()));
            settings.put("transport.port", String.valueOf(transport.get(i)));
            // a full disk on a developer's machine must not turn the test indices read-only
            settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
            if (nodes == 1 && !overrides.containsKey("discovery.seed_hosts")) {
                settings.put("discovery.type", "single-node");
            } else {
                settings.put("discovery.seed_hosts",
                        String.join(",", transport.stream().map(p -> "127.0.0.1:" + p).toList()));
                settings.put("cluster.initial_master_nodes", String.join(",", names));
            }
            settings.putAll(overrides);
            urls.add("http://127.0.0.1:" + settings.get("http.port"));
            // the nodes of a new cluster wait for each other's votes: start them together
            Thread thread = new Thread(() -> {
                try {
                    Closeable node = starter.start(settings);
                    synchronized (started) {
                        started.add(node);
                    }
                } catch (Exception | Error e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        if (!failures.isEmpty()) {
            failures.get(0).printStackTrace();
            System.exit(1);
        }
        System.out.println("DATA " + base);
        System.out.println("READY " + String.join(" ", urls));
        System.out.flush();
        // a caller that dies without stopping us (SIGKILL, a crashed test run) must not leave nodes behind
        ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
        while (parent == null || parent.isAlive()) {
            Thread.sleep(1000);
        }
        System.exit(0);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void stop(List<Closeable> nodes, Path base) {
        synchronized (nodes) {
            for (Closeable node : nodes) {
                try {
                    node.close();
                } catch (IOException | RuntimeException e) {
                    System.err.println("closing a node failed: " + e);
                }
            }
        }
        try (Stream<Path> paths = Files.walk(base)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + base + ": " + e);
        }
    }
}
