# token-broker: build with the Maven wrapper, run on a JRE as a non-root user.
#
#   docker build -t token-broker:0.1.0 .
#   docker run --rm -p 8080:8080 -p 8081:8081 -e SERVER_ADDRESS=0.0.0.0 token-broker:0.1.0 --spring.profiles.active=simulator
#
# Operator settings: mount a directory holding application.yml at /app/config (the Helm chart mounts its ConfigMap
# there); Spring Boot reads it before the image's /app/application.yml. The root filesystem may be read-only as long
# as /tmp is writable (an emptyDir in the chart).

# ---- build: dependencies first (a layer rebuilt only when the POM or the wrapper changes), then the sources ----
FROM eclipse-temurin:25.0.3_9-jdk-noble AS build
WORKDIR /build
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
RUN ./mvnw -B -ntp -q dependency:go-offline
COPY src/main/ src/main/
# The signed jars (Azure's, Bouncy Castle's) verified, every entry, and their signatures removed: an AOT cache leaves
# out every class of a signed jar, and the JVM would check their digests again at each start
# (src/main/docker/UnsignJars.java).
RUN ./mvnw -B -ntp -q -Dmaven.test.skip=true -Ddeploy-checks.skip=true package \
	&& java -Djarmode=tools -jar target/token-broker-*.jar extract --layers --application-filename app.jar --destination extracted \
	&& java src/main/docker/UnsignJars.java extracted/dependencies/lib/*.jar

# ---- runtime ----
FROM eclipse-temurin:25.0.3_9-jre-noble
RUN groupadd --system --gid 10001 broker \
	&& useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin broker
WORKDIR /app
# Spring Boot's layers, least to most often changed: the application jar's manifest lists lib/*.jar.
COPY --from=build /build/extracted/dependencies/ ./
COPY --from=build /build/extracted/spring-boot-loader/ ./
COPY --from=build /build/extracted/snapshot-dependencies/ ./
COPY --from=build /build/extracted/application/ ./
COPY application.yml ./

# JVM flags chosen by measurement (docs/deploy.md, "Footprint"; the method in bench/README.md): serial GC (one small
# heap, no GC threads), the heap capped at half the container's memory limit (the rest is class data, code, threads),
# a small young generation and old generation kept close to what is live (what the hot path touches stays resident),
# small thread stacks, a bounded code cache that frees old code (by a full collection, under the serial GC) only after
# new code has filled half of it, the AOT cache mapped where it was made instead of relocated (its pages
# stay clean file pages that every sidecar of this image on a node shares), freed native memory returned to the OS
# every second, no perf-data file in /tmp, and exit on OutOfMemoryError so Kubernetes restarts the container.
# The same flags are pom.xml's broker.jvm-flags (spring-boot:run, bench/run); DockerfileTests holds them equal.
# The chart's jvmOptions replaces them.
ENV JDK_JAVA_OPTIONS="-XX:+UseSerialGC -XX:MaxRAMPercentage=50 -Xmn12m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30 -Xss512k -XX:ReservedCodeCacheSize=64m -XX:SweeperThreshold=50 -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0 -XX:TrimNativeHeapInterval=1000 -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError"

# Spring AOT (-Dspring.aot.enabled=true): the context is built from the bean definitions generated when the jar was
# built (process-aot, in the build stage, on the same Java release) instead of parsing configuration classes and
# evaluating conditions at every start. Those are the same for every configuration of the broker; what Spring Boot
# itself decided at build time is in docs/deploy.md, "Spring AOT". Not in JDK_JAVA_OPTIONS, which the chart replaces.
# An AOT cache (JEP 483, 514, 515) from a training run on the embedded simulator, stopped once the context has
# refreshed: the broker's classes come loaded and linked, and the start to readiness is shorter, more so on one CPU
# (bench/README.md). Made by this JRE with the flags above and Spring AOT on, as at run time, so that it holds the
# classes the generated initializers load; the application is extracted as jars (extract --layers, without
# --launcher) because the cache only covers classes loaded from jars, and the class path (here /app/app.jar) must be
# the same at run time.
RUN java -XX:AOTCacheOutput=/app/app.aot -Dspring.aot.enabled=true -Dspring.context.exit=onRefresh -jar /app/app.jar \
	--spring.profiles.active=simulator --server.port=0 --management.server.port=0 \
	&& rm -rf /tmp/*

USER 10001:10001
EXPOSE 8080 8081
ENTRYPOINT ["java", "-XX:AOTCache=/app/app.aot", "-Dspring.aot.enabled=true", "-jar", "/app/app.jar"]
