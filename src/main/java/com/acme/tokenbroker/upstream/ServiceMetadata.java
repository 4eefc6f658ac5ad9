package com.acme.tokenbroker.upstream;

import com.acme.tokenbroker.catalog.AuthMode;

/**
 * What a service's own metadata says about how to call it.
 *
 * @param authMode the credential it accepts (never {@link AuthMode#AUTO})
 * @param scoringUri where to send scoring requests, or {@code null} when the service does
 * not say
 */
public record ServiceMetadata(AuthMode authMode, String scoringUri) {
}
