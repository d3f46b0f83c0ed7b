"""Side effects as the lists their source wrote them in, for the page and the export alike."""


def written_runs(effects, key) -> list[list]:
    """Side effects (parsed or stored) as the lists the source wrote: neighbours that
    share ``key``, with no list ending or starting between them."""
    runs: list[list] = []
    for effect in effects:
        previous = runs[-1][-1] if runs else None
        if (
            previous is not None
            and key(previous) == key(effect)
            and not previous.list_end
            and not effect.list_start
        ):
            runs[-1].append(effect)
        else:
            runs.append([effect])
    return runs
