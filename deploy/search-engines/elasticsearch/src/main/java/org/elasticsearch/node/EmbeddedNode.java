package org.elasticsearch.node;

import java.util.Collection;
import java.util.Map;

import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.MockPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

/**
 * A real node whose plugins come from the classpath. The test framework's MockNode does the same but first
 * initialises the test bootstrap, which refuses to run as root (as CI containers do); a node started this way
 * makes no native calls, so there is nothing to refuse. It lives in Node's package for NodeConstruction.
 */
public class EmbeddedNode extends Node {
    public EmbeddedNode(Settings settings, Collection<Class<? extends Plugin>> plugins) {
        super(NodeConstruction.prepareConstruction(
                InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "node"),
                null,
                new NodeServiceProvider() {
                    @Override
                    PluginsService newPluginService(Environment environment, PluginsLoader loader) {
                        return new MockPluginsService(environment.settings(), environment, plugins);
                    }
                },
                true));
    }
}
