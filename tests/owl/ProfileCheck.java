// The OWL 2 DL profile check of the OWL API (Debian's libowlapi-java), run by tests/test_ontology.py:
//   java -cp <owlapi jars> ProfileCheck.java FILE.ttl...
// prints one line per violation (file, kind, description) and "violations: N"; imports are not fetched.
import java.io.File;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.*;
import org.semanticweb.owlapi.profiles.*;
import org.semanticweb.owlapi.io.*;

public class ProfileCheck {
    public static void main(String[] args) throws Exception {
        OWLOntologyLoaderConfiguration config = new OWLOntologyLoaderConfiguration()
            .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.SILENT);
        int total = 0;
        for (String path : args) {
            OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
            OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new FileDocumentSource(new File(path)), config);
            OWLProfileReport report = new OWL2DLProfile().checkOntology(ontology);
            for (OWLProfileViolation v : report.getViolations()) {
                System.out.println(path + "\t" + v.getClass().getSimpleName() + "\t" + v);
                total++;
            }
        }
        System.out.println("violations: " + total);
    }
}
