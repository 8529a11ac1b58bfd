/// RFC 6902 JSON Patch as the Kubernetes API server applies a webhook's answer: `add`, `replace`
/// and `remove` at JSON Pointers (RFC 6901, `~1` for `/` and `~0` for `~`). A path through
/// something that is not there, or a `replace` or `remove` of what is not there, is an error, as
/// it is for the API server.
public enum JSONPatch {
    public static func apply(_ patch: [[String: Any]], to object: Any) throws -> Any {
        var result = object
        for operation in patch {
            guard let path = operation["path"] as? String, let op = operation["op"] as? String else {
                throw TestSupportError("a JSON Patch operation without op or path: \(operation)")
            }
            let tokens = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
                $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            }
            guard ["add", "replace", "remove"].contains(op) else { throw TestSupportError("unsupported op \(op)") }
            result = try set(result, tokens[...], operation["value"] as Any, op: op)
        }
        return result
    }

    private static func set(_ node: Any, _ tokens: ArraySlice<String>, _ value: Any, op: String) throws -> Any {
        guard let token = tokens.first else { return value }
        let last = tokens.count == 1
        if var array = node as? [Any] {
            if last && op == "add" && token == "-" {
                array.append(value)
                return array
            }
            guard let index = Int(token), array.indices.contains(index) || (last && op == "add" && index == array.count)
            else { throw TestSupportError("no element \(token) of a list of \(array.count)") }
            if last && op == "add" {
                array.insert(value, at: index)
            } else if last && op == "remove" {
                array.remove(at: index)
            } else {
                array[index] = try set(array[index], tokens.dropFirst(), value, op: op)
            }
            return array
        }
        guard var map = node as? [String: Any] else { throw TestSupportError("\(token) of a scalar") }
        if last {
            guard op == "add" || map[token] != nil else { throw TestSupportError("\(op) of a missing \(token)") }
            map[token] = op == "remove" ? nil : value
            return map
        }
        guard let child = map[token] else { throw TestSupportError("no \(token) on the way") }
        map[token] = try set(child, tokens.dropFirst(), value, op: op)
        return map
    }
}
