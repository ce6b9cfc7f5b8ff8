package org.crimeamonitor.engines.es;

import java.util.List;
import java.util.Map;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.ru.RussianAnalyzer;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.AnalyzerScope;
import org.elasticsearch.index.analysis.PreBuiltAnalyzerProvider;
import org.elasticsearch.index.analysis.PreConfiguredTokenFilter;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * The part of Elasticsearch's analysis-common module that the project's mappings use ({@code english},
 * {@code russian}, {@code asciifolding}), built from the same Lucene classes: the module itself is not published
 * on Maven Central. A real cluster has the module, so the mappings need nothing else there.
 */
public class EngineAnalysisPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        return Map.of(
                "english", (index, env, name, settings) -> prebuilt(name, new EnglishAnalyzer()),
                "russian", (index, env, name, settings) -> prebuilt(name, new RussianAnalyzer()));
    }

    @Override
    public List<PreConfiguredTokenFilter> getPreConfiguredTokenFilters() {
        return List.of(PreConfiguredTokenFilter.singleton("asciifolding", true, ASCIIFoldingFilter::new));
    }

    private static AnalyzerProvider<? extends Analyzer> prebuilt(String name, Analyzer analyzer) {
        return new PreBuiltAnalyzerProvider(name, AnalyzerScope.INDICES, analyzer);
    }
}
