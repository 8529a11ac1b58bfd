extension DesiredState {
    /// A signature policy: the public keys (PEM) whose cosign-compatible signatures admit an
    /// artifact, and whether one is required.
    ///
    /// With `required` (the default), an artifact is admitted only with a signature that names
    /// its digest and verifies with one of the keys. Without it, an unsigned artifact is admitted,
    /// but one whose signatures all fail is not: a bad signature is a sign of tampering.
    public struct Verification: Codable, Sendable, Equatable, Hashable {
        public var keys: [String]
        public var required: Bool?

        public init(keys: [String], required: Bool? = nil) {
            self.keys = keys
            self.required = required
        }

        public var requiresSignature: Bool { required ?? true }

        public static let maximumKeys = 16
        static let maximumKeyLength = 16 * 1024

        /// Checks the shape of each key; whether it is a key the satellite can use is checked
        /// when the policy is applied.
        public func validate(field: String) throws(DesiredStateError) {
            guard (1...Self.maximumKeys).contains(keys.count) else {
                throw DesiredStateError(field: field + ".keys", "give 1 to \(Self.maximumKeys) public keys (PEM)")
            }
            for (index, key) in keys.enumerated() {
                guard key.utf8.count <= Self.maximumKeyLength, key.contains("-----BEGIN PUBLIC KEY-----"),
                    key.contains("-----END PUBLIC KEY-----")
                else {
                    throw DesiredStateError(
                        field: "\(field).keys[\(index)]",
                        """
                        must be a PEM public key (-----BEGIN PUBLIC KEY----- …) of at most \
                        \(Self.maximumKeyLength) bytes
                        """
                    )
                }
            }
        }
    }

    /// The policy that applies to `artifact`: its own, or the state's.
    public func verification(for artifact: Artifact) -> Verification? {
        artifact.verification ?? verification
    }

    /// The policy for what is pulled through from `upstream`: its rule's, or the state's.
    public func verification(forProxy upstream: String) -> Verification? {
        proxyRule(for: upstream)?.verification ?? verification
    }
}
