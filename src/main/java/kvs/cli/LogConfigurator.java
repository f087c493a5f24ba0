package kvs.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logging of every kvs process, set up in code (found by logback through
 * {@code META-INF/services}): log lines go to standard error, since standard output carries
 * results and the READY line only; {@code KVS_LOG_LEVEL} sets the level (default INFO).
 *
 * <p>In code rather than in a {@code logback.xml} because parsing XML costs a server tens of
 * milliseconds of its start (docs/performance.md). An operator's own file given with
 * {@code -Dlogback.configurationFile} still wins.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n");
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(level(System.getenv("KVS_LOG_LEVEL"), System.err));
    root.addAppender(stderr);
    context.getLogger("io.netty").setLevel(Level.WARN);
    context.getLogger("redis.clients").setLevel(Level.WARN);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /**
   * The level {@code KVS_LOG_LEVEL} names (any case; unset or blank: INFO). A value that names no
   * level (a typo) is said on {@code err}, once, and INFO is used rather than silently.
   */
  static Level level(String env, java.io.PrintStream err) {
    if (env == null || env.isBlank()) return Level.INFO;
    Level named = Level.toLevel(env.trim(), null);
    if (named == null) {
      err.println("kvs: KVS_LOG_LEVEL=" + env + " is not a log level (TRACE, DEBUG, INFO, WARN,"
          + " ERROR, OFF); logging at INFO");
      return Level.INFO;
    }
    return named;
  }
}
