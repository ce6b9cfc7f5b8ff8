package org.crimeamonitor.engines.es;

import java.util.List;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.crimeamonitor.engines.Launcher;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.node.EmbeddedNode;
import org.elasticsearch.node.Node;
import org.elasticsearch.transport.netty4.Netty4Plugin;

/** Elasticsearch 8.x nodes with the HTTP module and the analyzers the project's mappings use. */
public final class ElasticsearchNodes {
    private ElasticsearchNodes() {}

    public static void main(String[] args) throws Exception {
        LogConfigurator.configureESLogging(); // Elasticsearch's own logging facade, backed by log4j
        Configurator.setRootLevel(Level.WARN); // warnings and errors only: the READY line is what callers read
        Launcher.run("elasticsearch", args, settings -> {
            Node node = new EmbeddedNode(
                    Settings.builder().loadFromMap(settings).build(),
                    List.of(Netty4Plugin.class, EngineAnalysisPlugin.class));
            node.start();
            return node;
        });
    }
}
