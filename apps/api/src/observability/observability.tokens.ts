/** Injection token of the api's prom-client Registry. */
export const API_METRICS_REGISTRY = Symbol('API_METRICS_REGISTRY');
