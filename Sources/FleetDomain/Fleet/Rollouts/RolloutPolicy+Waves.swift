import FleetAPI

/// A satellite as a rollout places it.
package struct RolloutCandidate: Sendable {
    let name: String
    let labels: [String: String]
    let site: String?

    package init(name: String, labels: [String: String] = [:], site: String? = nil) {
        self.name = name
        self.labels = labels
        self.site = site
    }
}

extension RolloutPolicy {
    /// What the policy orders by: the label's match or the site first, then the name.
    func key(of candidate: RolloutCandidate) -> String {
        switch order {
        case .name: return candidate.name
        case .label(let key, let value):
            return (candidate.labels[key] == value ? "0" : "1") + "\u{0}" + candidate.name
        case .site:
            guard let site = candidate.site else { return "1\u{0}" + candidate.name }
            return "0" + site + "\u{0}" + candidate.name
        }
    }

    /// The members in order, each with its wave: wave `i` ends where its extent of the members
    /// does (a share rounded up), never before the wave ahead, and with `order=site` not inside
    /// a site.
    package func members(_ candidates: [RolloutCandidate]) -> [RolloutMember] {
        let ordered = candidates.map { (key: key(of: $0), candidate: $0) }.sorted { $0.key < $1.key }
        let count = ordered.count
        var ends: [Int] = []
        for extent in waves {
            var end: Int
            switch extent {
            case .count(let wanted): end = min(wanted, count)
            case .percent(let share): end = (count * share + 99) / 100
            }
            end = max(end, ends.last ?? 0)
            if order == .site {
                while end > 0, end < count, let site = ordered[end - 1].candidate.site,
                    ordered[end].candidate.site == site
                {
                    end += 1
                }
            }
            ends.append(end)
        }
        return ordered.enumerated().map { index, entry in
            let wave = (ends.firstIndex { index < $0 } ?? ends.count - 1) + 1
            return RolloutMember(name: entry.candidate.name, key: entry.key, wave: wave)
        }
    }

    /// The wave of a satellite that joins the group mid-rollout: its site's, with
    /// `order=site`; else the wave of the member it would follow in order (the first when none).
    package func wave(ofNewcomer candidate: RolloutCandidate, among members: [RolloutMember]) -> Int {
        let key = key(of: candidate)
        if order == .site, let site = candidate.site {
            let prefix = "0" + site + "\u{0}"
            if let sibling = members.first(where: { $0.key.hasPrefix(prefix) }) { return sibling.wave }
        }
        return members.last { $0.key <= key }?.wave ?? 1
    }
}
