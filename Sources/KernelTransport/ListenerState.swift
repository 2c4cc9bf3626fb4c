/// The state of a transport's listener (the control socket's, the HTTP shim's):
/// `ControlServer.State` and `HTTPServer.State`.
public enum ListenerState: Equatable { case idle, listening, draining, closed }
