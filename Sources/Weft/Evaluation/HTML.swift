/// HTML text helpers.
public enum HTML {
    /// `text` with `&`, `<`, `>`, `"` and `'` escaped, safe in element content and attributes.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    /// The start of a self-contained page, through `<main>`: the doctype, UTF-8, the viewport,
    /// the title (escaped here), the page's CSS and any `extraHead` elements (given as HTML).
    public static func pageStart(title: String, style: String, extraHead: String = "") -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">\(extraHead.isEmpty ? "" : "\n" + extraHead)
        <title>\(escape(title))</title>
        <style>\(style)</style>
        </head>
        <body>
        <main>
        """
    }
}
