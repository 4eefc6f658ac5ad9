package com.acme.tokenbroker.problem;

import org.apache.catalina.Container;
import org.apache.catalina.Context;
import org.apache.catalina.Valve;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.tomcat.util.descriptor.web.ErrorPage;

import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.core.Ordered;

/**
 * Every error a broker server answers without the broker's code is a problem: its Tomcat
 * host reports errors with {@link ProblemErrorReportValve} instead of Tomcat's HTML page
 * (the one Spring Boot adds, and the one Tomcat would add by default), and its context
 * has no error page, so an error status set with {@code sendError} or an exception that
 * escaped the servlet is reported there too rather than forwarded to Spring Boot's
 * {@code /error} controller, whose JSON is not a problem and which the security chain
 * would refuse to an anonymous caller. Errors Spring MVC and the security chain handle
 * are written by {@link ProblemHandler} and the security handlers, as before.
 * <p>
 * Applied to the API server and, from the management context, to the management server (a
 * separate Tomcat when {@code management.server.port} differs).
 */
final class ProblemErrorPages implements WebServerFactoryCustomizer<TomcatServletWebServerFactory>, Ordered {

	@Override
	public void customize(TomcatServletWebServerFactory factory) {
		// Context customizers run after the factory has added its error pages and Spring
		// Boot's own error report valve
		factory.addContextCustomizers(ProblemErrorPages::customize);
	}

	static void customize(Context context) {
		for (ErrorPage page : context.findErrorPages()) {
			context.removeErrorPage(page);
		}
		Container parent = context.getParent();
		for (Valve valve : parent.getPipeline().getValves()) {
			if (valve instanceof ErrorReportValve) {
				parent.getPipeline().removeValve(valve);
			}
		}
		if (parent instanceof StandardHost host) {
			// The host adds a valve of this class when it starts unless it has one
			host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
		}
		parent.getPipeline().addValve(new ProblemErrorReportValve());
	}

	/** After Spring Boot's customizers, which add their error report valve. */
	@Override
	public int getOrder() {
		return Ordered.LOWEST_PRECEDENCE;
	}

}
