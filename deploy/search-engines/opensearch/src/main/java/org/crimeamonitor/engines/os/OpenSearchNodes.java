package org.crimeamonitor.engines.os;

import java.util.List;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.crimeamonitor.engines.Launcher;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.node.MockNode;
import org.opensearch.node.Node;
import org.opensearch.transport.Netty4Plugin;

/** OpenSearch 2.19 nodes with the HTTP module and analysis-common (english/russian analyzers). */
public final class OpenSearchNodes {
    private OpenSearchNodes() {}

    public static void main(String[] args) throws Exception {
        Configurator.setRootLevel(Level.WARN); // warnings and errors only: the READY line is what callers read
        Launcher.run("opensearch", args, settings -> {
            Node node = new MockNode(
                    Settings.builder().loadFromMap(settings).build(),
                    List.of(Netty4Plugin.class, CommonAnalysisPlugin.class));
            node.start();
            return node;
        });
    }
}
