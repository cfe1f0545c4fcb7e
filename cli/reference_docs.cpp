// Walks the CLI11 tree that main() builds: subcommands (not the hidden ones), their options
// and positionals, the value each takes and its fixed choices. Two writers read that walk:
// man(7) roff and a bash completion function.
#include "cli/reference_docs.hpp"

#include <cstdio>
#include <iostream>
#include <memory>

#include <sstream>
#include <vector>

#include "cli/commands.hpp"
#include "decoder/base/utf8.hpp"

namespace cli {
namespace {

const char* const kVersion = "siptap 0.1.0";

bool visible(const CLI::App* sub) { return !sub->get_group().empty(); }
bool visible_option(const CLI::Option* opt) { return !opt->get_group().empty(); }

std::vector<const CLI::App*> visible_subcommands(const CLI::App& app) {
    return app.get_subcommands([](const CLI::App* sub) { return visible(sub); });
}

std::vector<const CLI::Option*> visible_options(const CLI::App& sub) {
    return sub.get_options([](const CLI::Option* opt) { return visible_option(opt); });
}

// The choices of an option checked with IsMember, as its type name shows them: "TEXT:{a,b}".
std::vector<std::string> choices_of(const CLI::Option& opt) {
    const std::string type = opt.get_type_name();
    const auto open = type.find('{');
    const auto close = type.find('}', open);
    std::vector<std::string> out;
    if (open == std::string::npos || close == std::string::npos) return out;
    std::istringstream list(type.substr(open + 1, close - open - 1));
    for (std::string item; std::getline(list, item, ',');)
        if (!item.empty()) out.push_back(item);
    return out;
}

bool takes_value(const CLI::Option& opt) { return opt.get_expected_min() > 0 || opt.get_items_expected_max() > 0; }

// roff treats a leading '.' or '\'' as a request and '\' as an escape; '-' must be '\-' to stay
// a hyphen-minus that can be searched for and pasted. groff reads Latin-1 unless preconv runs,
// so other characters (the descriptions' em dashes) go in as \[uXXXX].
std::string roff(const std::string& text) {
    std::string out;
    bool line_start = true;
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        if (line_start && (c == '.' || c == '\'')) out += "\\&";
        line_start = c == '\n';
        const std::size_t length = decoder::utf8_length(text, i);
        if (length > 1) {
            unsigned code = static_cast<unsigned char>(c) & (0xFFu >> (length + 1));
            for (std::size_t k = 1; k < length; ++k) code = code << 6 | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
            char escaped[16];
            std::snprintf(escaped, sizeof escaped, "\\[u%04X]", code);
            out += escaped;
            i += length;
            continue;
        }
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else if (length == 1)
            out += c;
        else
            out += "\\[uFFFD]";  // not UTF-8: the replacement character, never a raw byte
        ++i;
    }
    return out;
}

std::string value_text(const CLI::Option& opt) {
    if (!takes_value(opt)) return {};
    std::string type = opt.get_type_name();
    if (const auto colon = type.find(':'); colon != std::string::npos) type.resize(colon);
    std::string text = " \\fI" + roff(type) + "\\fR";
    if (opt.get_items_expected_max() > 1) text += " ...";
    return text;
}

std::string option_details(const CLI::Option& opt) {
    std::string text = opt.get_description();
    // CLI11 descriptions are phrases without a full stop; the man page adds sentences after them.
    if (!text.empty() && text.back() != '.') text += '.';
    if (const auto choices = choices_of(opt); !choices.empty()) {
        text += " One of:";
        for (std::size_t i = 0; i < choices.size(); ++i) text += (i ? ", " : " ") + choices[i];
        text += '.';
    }
    if (!opt.get_default_str().empty()) text += " Default: " + opt.get_default_str() + '.';
    if (opt.get_required()) text += " Required.";
    return roff(text);
}

void write_option(std::ostringstream& out, const CLI::Option& opt) {
    out << ".TP\n";
    if (opt.get_positional()) {
        out << "\\fI" << roff(opt.get_name(true)) << "\\fR";
        if (opt.get_items_expected_max() > 1) out << " ...";
    } else {
        std::string names = opt.get_name(false, true);
        for (auto at = names.find(','); at != std::string::npos; at = names.find(',', at + 2)) names.insert(at + 1, " ");
        out << "\\fB" << roff(names) << "\\fR" << value_text(opt);
    }
    out << '\n' << option_details(opt) << '\n';
}

std::string synopsis(const CLI::App& sub) {
    std::string text = "\\fBsiptap " + roff(sub.get_name()) + "\\fR [\\fIOPTIONS\\fR]";
    for (const auto* opt : visible_options(sub))
        if (opt->get_positional()) {
            text += " \\fI" + roff(opt->get_name(true)) + "\\fR";
            if (opt->get_items_expected_max() > 1) text += " ...";
        }
    return text;
}

}  // namespace

std::string man_page(const CLI::App& app) {
    std::ostringstream out;
    out << ".TH SIPTAP 1 \"\" \"" << kVersion << "\" \"User Commands\"\n"
        << ".SH NAME\nsiptap \\- trace SIP over mutual TLS between servers and say what went wrong\n"
        << ".SH SYNOPSIS\n";
    for (const auto* sub : visible_subcommands(app)) out << synopsis(*sub) << "\n.br\n";
    out << "\\fBsiptap\\fR \\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR\n"
        << ".SH DESCRIPTION\n" << roff(app.get_description()) << '\n'
        << ".SH COMMANDS\n";
    for (const auto* sub : visible_subcommands(app)) {
        out << ".SS " << roff(sub->get_name()) << '\n' << roff(sub->get_description()) << '\n';
        for (const auto* opt : visible_options(*sub)) write_option(out, *opt);
    }
    out << ".SH EXIT STATUS\n"
        << ".TP\n0\nNo finding of severity error.\n"
        << ".TP\n1\nAt least one finding of severity error.\n"
        << ".TP\n2\nA usage or input error, named on standard error.\n"
        << ".SH EXAMPLES\n"
        << ".TP\n\\fBsiptap demo\\fR\nShows the Exchange UM to Lync handshake and the wildcard-certificate failure on loopback.\n"
        << ".TP\n\\fBsiptap read \\-\\-html report.html um\\-lync.pcapng\\fR\nReplays a capture and writes a report.\n"
        << ".TP\n\\fBsiptap proxy \\-\\-listen 0.0.0.0:5061 \\-\\-upstream lync.example.com:5061 \\-\\-forge\\-ca ca.pem \\-\\-forge\\-ca\\-key ca.key\\fR\n"
        << "Relays between the two servers and shows both legs.\n"
        << ".SH SEE ALSO\n\\fBtshark\\fR(1), \\fBsngrep\\fR(8), \\fBopenssl\\fR(1)\n";
    return out.str();
}

std::string bash_completion(const CLI::App& app) {
    std::ostringstream out;
    out << "# bash completion for siptap, written by `siptap _docs bash-completion` from its options.\n"
        << "_siptap() {\n"
        << "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} sub=\"\" i\n"
        << "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
        << "        case ${COMP_WORDS[i]} in -*) ;; *) sub=${COMP_WORDS[i]}; break ;; esac\n"
        << "    done\n"
        << "    case $sub in\n"
        << "    \"\") COMPREPLY=($(compgen -W \"";
    for (const auto* sub : visible_subcommands(app)) out << sub->get_name() << ' ';
    out << "--help --version\" -- \"$cur\")); return ;;\n";
    for (const auto* sub : visible_subcommands(app)) {
        out << "    " << sub->get_name() << ")\n        case $prev in\n";
        std::string flags;
        for (const auto* opt : visible_options(*sub)) {
            if (opt->get_positional()) continue;
            const std::string names = opt->get_name(false, true);
            std::string alternatives = names;
            for (auto& c : alternatives)
                if (c == ',') c = '|';
            if (takes_value(*opt)) {
                const auto choices = choices_of(*opt);
                out << "        " << alternatives << ") COMPREPLY=($(compgen ";
                if (choices.empty()) {
                    out << "-f -- \"$cur\")); return ;;\n";
                } else {
                    out << "-W \"";
                    for (const auto& c : choices) out << c << ' ';
                    out << "\" -- \"$cur\")); return ;;\n";
                }
            }
            for (auto& c : alternatives)
                if (c == '|') c = ' ';
            flags += alternatives + ' ';
        }
        out << "        esac\n"
            << "        if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"" << flags << "\" -- \"$cur\"))\n"
            << "        else COMPREPLY=($(compgen -f -- \"$cur\")); fi ;;\n";
    }
    out << "    esac\n}\ncomplete -o filenames -F _siptap siptap\n";
    return out.str();
}

Runner add_docs_command(CLI::App& app) {
    auto what = std::make_shared<std::string>();
    // Hidden (empty group): used by the build to write siptap.1 and the completion file.
    auto* cmd = app.add_subcommand("_docs", "Print the man page or the bash completion")->group("");
    cmd->add_option("what", *what, "man or bash-completion")->required()->check(CLI::IsMember({"man", "bash-completion"}));
    return [&app, what] {
        std::cout << (*what == "man" ? man_page(app) : bash_completion(app));
        return std::cout.flush() ? kExitOk : kExitUsage;
    };
}

}  // namespace cli
