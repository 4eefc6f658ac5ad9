package com.acme.tokenbroker.simulator;

import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What tells one control-plane API from the other, as data: where it puts a service, its
 * actions and its key regeneration polls, which services it addresses, and its error
 * codes.
 *
 * @param service a service path: groups 1–4 subscription, resource group, workspace,
 * service; group 5 the action, if any
 * @param poll an operation poll path
 * @param read the operation that reads a service
 * @param actions the operation of each action, by its name in lower case
 * @param pollOperation the operation that polls a regeneration
 * @param services the services of a workspace it addresses: web services or online
 * endpoints
 * @param codes its error codes for the conditions both APIs report
 */
record DialectSpec(Pattern service, Pattern poll, Operation read, Map<String, Operation> actions,
		Operation pollOperation, Function<Directory.Workspace, Map<String, Directory.Service>> services,
		ControlPlaneDialect.ErrorCodes codes) {

	/**
	 * The operation a request asks for: {@link Operation#UNKNOWN} for a path of this API
	 * with the wrong method, {@code null} for a path not of this API.
	 */
	Operation classify(String method, String path) {
		Matcher matcher = this.service.matcher(path);
		if (matcher.matches()) {
			String action = matcher.group(5);
			if (action == null) {
				return "GET".equals(method) ? this.read : Operation.UNKNOWN;
			}
			return "POST".equals(method) ? this.actions.get(action.toLowerCase(Locale.ROOT)) : Operation.UNKNOWN;
		}
		if (this.poll.matcher(path).matches()) {
			return "GET".equals(method) ? this.pollOperation : Operation.UNKNOWN;
		}
		return null;
	}

	/**
	 * The service a service path addresses, or {@code null} for any other path.
	 */
	ControlPlaneDialect.ServicePath servicePath(String path) {
		Matcher matcher = this.service.matcher(path);
		return matcher.matches() ? new ControlPlaneDialect.ServicePath(matcher.group(1), matcher.group(2),
				matcher.group(3), matcher.group(4)) : null;
	}

}
