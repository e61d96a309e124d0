"""The finance team's web console: server-rendered pages over the services' public APIs."""
