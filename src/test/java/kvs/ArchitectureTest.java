package kvs;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.type;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.nio.ByteBuffer;

/**
 * The package layering of README.md's architecture section, checked on the compiled classes of
 * src/main (tests may cross layers: core's tests use the in-memory store). A change that breaks
 * it fails the build; change the README and this test together, or not at all.
 */
@AnalyzeClasses(packages = "kvs", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  /** No two packages of kvs depend on each other, directly or through others. */
  @ArchTest
  static final ArchRule noPackageCycles =
      slices().matching("kvs.(*)..").should().beFreeOfCycles();

  /**
   * The core is pure: the language, java.util, java.math (counters' decimals) and ByteBuffer,
   * nothing else; no sockets, files,
   * charsets, Netty or RocksDB. Its determinism is what lets the simulator drive it. (A check of
   * the bytecode: an import that nothing uses compiles to nothing and is not seen.)
   */
  @ArchTest
  static final ArchRule coreIsPure = classes().that().resideInAPackage("kvs.core..")
      .should().onlyDependOnClassesThat(
          resideInAnyPackage("java.util..", "java.lang..", "java.math..", "kvs.core..")
              .or(type(ByteBuffer.class)))
      .because("core is the pure protocol logic (README.md, Architecture)");

  /** Each package uses only the packages README.md says it may. */
  @ArchTest
  static final ArchRule layers = layeredArchitecture().consideringOnlyDependenciesInLayers()
      .layer("core").definedBy("kvs.core..")
      .layer("storage").definedBy("kvs.storage..")
      .layer("net").definedBy("kvs.net..")
      .layer("client").definedBy("kvs.client..")
      .layer("server").definedBy("kvs.server..")
      .layer("sim").definedBy("kvs.sim..")
      .layer("process").definedBy("kvs.process..")
      .layer("master").definedBy("kvs.master..")
      .layer("agent").definedBy("kvs.agent..")
      .layer("bench").definedBy("kvs.bench..")
      .layer("cli").definedBy("kvs.cli..")
      .whereLayer("core").mayNotAccessAnyLayer()
      .whereLayer("net").mayNotAccessAnyLayer()
      .whereLayer("process").mayNotAccessAnyLayer()
      .whereLayer("storage").mayOnlyAccessLayers("core", "process")
      .whereLayer("client").mayOnlyAccessLayers("core")
      .whereLayer("server").mayOnlyAccessLayers("core", "net", "storage")
      .whereLayer("sim").mayOnlyAccessLayers("core", "storage")
      .whereLayer("master").mayOnlyAccessLayers("process")
      .whereLayer("agent").mayOnlyAccessLayers("process")
      .whereLayer("bench").mayOnlyAccessLayers("process")
      .whereLayer("cli").mayNotBeAccessedByAnyLayer();

  /** Every package of kvs is in one of the layers above: a new package needs a place. */
  @ArchTest
  static final ArchRule everyPackageHasALayer = classes().should().resideInAnyPackage(
      "kvs.core..", "kvs.storage..", "kvs.net..", "kvs.client..", "kvs.server..", "kvs.sim..",
      "kvs.process..", "kvs.master..", "kvs.agent..", "kvs.bench..", "kvs.cli..");
}
